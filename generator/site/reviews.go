package site

// ReviewsInput is the page model for this page (being built).
type ReviewsInput struct{}

func (b *builder) reviews() {}
