package site

// PackageInput is the page model for this page (being built).
type PackageInput struct{}

func (b *builder) pkg() {}
