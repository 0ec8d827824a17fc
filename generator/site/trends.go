package site

// TrendsInput is the page model for this page (being built).
type TrendsInput struct{}

func (b *builder) trends() {}
