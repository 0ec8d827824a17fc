package site

// ReadinessInput is the page model for this page (being built).
type ReadinessInput struct{}

func (b *builder) readiness() {}
