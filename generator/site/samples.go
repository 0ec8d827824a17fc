package site

// SamplesInput is the page model for this page (being built).
type SamplesInput struct{}

func (b *builder) samples() {}
