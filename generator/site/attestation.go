package site

// AttestationInput is the page model for this page (being built).
type AttestationInput struct{}

func (b *builder) attestation() {}
