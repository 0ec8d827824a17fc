package pipeline

import "github.com/evident-project/evident/generator/site"

func (pc *pageContext) samples(in *site.Input) error { return nil }
