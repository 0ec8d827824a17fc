package pipeline

import "github.com/evident-project/evident/generator/site"

func (pc *pageContext) readiness(in *site.Input) error { return nil }
