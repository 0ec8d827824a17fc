package site

// PackageInput is the evidence package page: what `evident export` puts in
// the period's package, by the evidence auditors request, and the archives
// when the build published them beside the site.
type PackageInput struct {
	// Name is the archives' name and top folder.
	Name string
	// Command exports the package again from the evidence repository.
	Command  string
	Sections []PackageSection
	// Archives are links, relative to the top of the whole site, to the
	// published archives; empty when the build did not publish them.
	Archives []PackageArchive
}

// PackageSection is one kind of evidence auditors request.
type PackageSection struct {
	Name     string
	Controls []PackageControl
}

// PackageControl is one control's evidence in the package.
type PackageControl struct {
	ID, Title, Outcome string
	Files              []PackageFile
}

// PackageFile is one evidence file, by its path in the evidence repository.
type PackageFile struct {
	Path, Collector, SHA256 string
}

// PackageArchive is one published archive.
type PackageArchive struct {
	Name, Href string
}

// pkg writes package.html.
func (b *builder) pkg() {
	b.w.page("package.html", "layout-package", struct {
		page
		Package PackageInput
	}{page{"Evidence package", "", b.info}, b.in.Package})
}
