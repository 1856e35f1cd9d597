package decode

import (
	"reflect"
	"testing"
	"unsafe"
)

// field returns a settable view of field i of the struct v points to,
// unexported fields too.
func field(v reflect.Value, i int) reflect.Value {
	f := v.Elem().Field(i)
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}

// Add merges every field of Stats: a counter added to Stats and forgotten
// in Add fails here, as does a field of a kind this test does not know.
func TestStatsAdd(t *testing.T) {
	var s, o Stats
	sv, ov := reflect.ValueOf(&s), reflect.ValueOf(&o)
	typ := sv.Elem().Type()
	for i := range typ.NumField() {
		switch f := typ.Field(i); f.Type.Kind() {
		case reflect.Int:
			field(sv, i).SetInt(int64(1000 * (i + 1)))
			field(ov, i).SetInt(int64(i + 1))
		case reflect.Map, reflect.Slice:
			// Checked by name below.
		default:
			t.Fatalf("Stats.%s is a %s: teach Stats.Add and this test to merge it", f.Name, f.Type)
		}
	}
	s.Undecoded = map[string]int{"a": 1, "b": 2}
	o.Undecoded = map[string]int{"b": 3, "c": 4}
	s.Problems = make([]Problem, MaxProblems-1)
	o.Problems = []Problem{{Frame: 1}, {Frame: 2}}
	s.EncryptedFlows = []EncryptedFlow{{FirstFrame: 1}}
	o.EncryptedFlows = []EncryptedFlow{{FirstFrame: 2}}

	s.Add(&o)

	for i := range typ.NumField() {
		f := typ.Field(i)
		switch f.Type.Kind() {
		case reflect.Int:
			if got, want := field(sv, i).Int(), int64(1001*(i+1)); got != want {
				t.Errorf("Stats.%s = %d after Add, want %d: Add does not merge it", f.Name, got, want)
			}
		case reflect.Map, reflect.Slice:
			switch f.Name {
			case "Undecoded", "Problems", "EncryptedFlows":
			default:
				t.Errorf("Stats.%s: teach Stats.Add and this test to merge it", f.Name)
			}
		}
	}
	if want := map[string]int{"a": 1, "b": 5, "c": 4}; !reflect.DeepEqual(s.Undecoded, want) {
		t.Errorf("Undecoded = %v, want %v", s.Undecoded, want)
	}
	if len(s.Problems) != MaxProblems || s.Problems[MaxProblems-1].Frame != 1 {
		t.Errorf("%d problems, the last at frame %d; want %d, the first of the added at the end", len(s.Problems), s.Problems[len(s.Problems)-1].Frame, MaxProblems)
	}
	if len(s.EncryptedFlows) != 2 || s.EncryptedFlows[1].FirstFrame != 2 {
		t.Errorf("encrypted flows %v, want the added one after", s.EncryptedFlows)
	}

	var empty Stats
	empty.Add(&o)
	if empty.Undecoded["c"] != 4 {
		t.Errorf("Add to a zero Stats: Undecoded %v", empty.Undecoded)
	}
}
