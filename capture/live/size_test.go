package live

import "testing"

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		err  bool
	}{
		{"100MB", 100e6, false},
		{"100mb", 100e6, false},
		{"64MiB", 64 << 20, false},
		{"1G", 1e9, false},
		{"4096", 4096, false},
		{"512B", 512, false},
		{" 2 KiB ", 2048, false},
		{"0", 0, false},
		{"", 0, true},
		{"MB", 0, true},
		{"-1MB", 0, true},
		{"1.5GB", 0, true},
		{"99999999999GiB", 0, true},
	} {
		got, err := ParseSize(c.in)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, error %v", c.in, got, err, c.want, c.err)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"100MB", "64MiB", "1G", "12", "KiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err == nil && n < 0 {
			t.Fatalf("%q gave %d", s, n)
		}
	})
}
