package bank_test

import "testing"

// BenchmarkGenerate measures building the whole two-quarter world, the cost
// `evident demo` pays up front.
func BenchmarkGenerate(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		generate(b, int64(i), b.TempDir())
	}
}
