package nn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// ParseSpec decodes a spec from its JSON strictly, so that a damaged or
// hand-edited spec is an error rather than a different model: every key must
// be one of the spec's (spelled exactly, at any depth), and every key whose
// field has no omitempty (format, version, task, inputs, layers, provenance;
// an input's name and kind; a layer's type; an imputation's strategy and
// value; a clip's min and max; a scaling's method; provenance's seed and
// created) must be there. Errors name the key by its path, such as
// `unknown key "scXle" in inputs[0]` or `missing key "kind" in inputs[1]`.
// A key given twice is an error too. ParseSpec does not Validate.
func ParseSpec(data []byte) (Spec, error) {
	var s Spec
	if err := checkKeys(data, reflect.TypeOf(s), ""); err != nil {
		return Spec{}, fmt.Errorf("nn: spec JSON: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Spec{}, fmt.Errorf("nn: spec JSON: %w", err)
	}
	if dec.More() {
		return Spec{}, fmt.Errorf("nn: spec JSON: data after the spec object")
	}
	return s, nil
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// checkKeys walks data against type t: unknown, duplicate and missing
// required keys of every struct are errors naming the key's path.
func checkKeys(data []byte, t reflect.Type, path string) error {
	if t.Kind() == reflect.Pointer {
		if string(bytes.TrimSpace(data)) == "null" {
			return nil
		}
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		return nil // a leaf with its own syntax (time.Time)
	}
	where := func() string {
		if path == "" {
			return "the spec"
		}
		return path
	}
	switch t.Kind() {
	case reflect.Slice:
		if t.Elem().Kind() != reflect.Struct && t.Elem().Kind() != reflect.Pointer {
			return nil
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(data, &elems); err != nil {
			return nil // the type error is reported by the decoder, with its own words
		}
		for i, e := range elems {
			if err := checkKeys(e, t.Elem(), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case reflect.Struct:
		keys, vals, err := objectKeys(data)
		if err != nil {
			if _, ok := err.(dupKey); ok {
				return fmt.Errorf("key %q appears twice in %s", string(err.(dupKey)), where())
			}
			return nil // not an object: the decoder says so
		}
		fields := map[string]reflect.StructField{}
		var required []string
		for i := range t.NumField() {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fields[name] = f
			if !strings.Contains(","+opts+",", ",omitempty,") {
				required = append(required, name)
			}
		}
		for i, k := range keys {
			f, ok := fields[k]
			if !ok {
				return fmt.Errorf("unknown key %q in %s", k, where())
			}
			sub := k
			if path != "" {
				sub = path + "." + k
			}
			if err := checkKeys(vals[i], f.Type, sub); err != nil {
				return err
			}
		}
		for _, r := range required {
			found := false
			for _, k := range keys {
				found = found || k == r
			}
			if !found {
				return fmt.Errorf("missing key %q in %s", r, where())
			}
		}
	}
	return nil
}

type dupKey string

func (d dupKey) Error() string { return "duplicate key " + string(d) }

// objectKeys returns the keys of a JSON object in order, with their raw
// values; a key that appears twice is a dupKey error.
func objectKeys(data []byte) ([]string, []json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, fmt.Errorf("not an object")
	}
	var keys []string
	var vals []json.RawMessage
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		k, _ := tok.(string)
		if seen[k] {
			return nil, nil, dupKey(k)
		}
		seen[k] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		keys, vals = append(keys, k), append(vals, v)
	}
	return keys, vals, nil
}
