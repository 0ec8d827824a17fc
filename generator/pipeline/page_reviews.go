package pipeline

import "github.com/evident-project/evident/generator/site"

func (pc *pageContext) reviews(in *site.Input) error { return nil }
