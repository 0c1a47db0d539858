package textdiff

import "testing"

func TestLines(t *testing.T) {
	a := "a: 1\nb: 2\nc: 3\n"
	b := "a: 1\nb: 5\nc: 3\nd: 4\n"
	got := String(Lines(a, b))
	want := " a: 1\n-b: 2\n+b: 5\n c: 3\n+d: 4\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if Changed(Lines(a, a)) || !Changed(Lines(a, b)) {
		t.Fatal("Changed")
	}
	if got := String(Context(Lines("1\n2\n3\n4\n5\n6\n", "1\n2\n3\n4\n5\nsix\n"), 1)); got != " …\n 5\n-6\n+six\n" {
		t.Fatalf("context: %q", got)
	}
}
