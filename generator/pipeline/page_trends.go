package pipeline

import "github.com/evident-project/evident/generator/site"

func (pc *pageContext) trends(in *site.Input) error { return nil }
