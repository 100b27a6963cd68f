package apizee

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testBounds(items, members int) answerBounds {
	return answerBounds{items: items, members: members, tooMany: func() error { return errors.New("too many items") }}
}

func TestCheckBounds(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		items     int
		wantItems int
		wantErr   string
	}{
		{"a page at its limit", `{"total":3,"data":[{},{},{}]}`, 3, 3, ""},
		{"a page past its limit", `{"total":3,"data":[{},{},{},{}]}`, 3, 0, "too many items"},
		{"an empty page", `{"total":0,"data":[ ]}`, 3, 0, ""},
		{"a list answer", `[1,2]`, 2, 2, ""},
		{"a list answer past its limit", `[1,2,3]`, 2, 0, "too many items"},
		{"any member array counts as the page", `{"other":[1,2,3],"data":[]}`, 2, 0, "too many items"},
		{"commas and brackets in strings do not count", `{"data":["a,b,]","c\",d[",{"x":"}],{"}]}`, 3, 3, ""},
		{"an escaped backslash ends a string", `{"data":["a\\",1,2]}`, 3, 3, ""},
		{"a nested list is a member list", `{"data":[{"phone":[1,2,3,4,5]}]}`, 10, 0, "more than 4 members"},
		{"an object of too many keys", `{"data":[{"a":1,"b":2,"c":3,"d":4,"e":5}]}`, 10, 0, "more than 4 members"},
		{"the answer's own object is bounded", `{"a":1,"b":2,"c":3,"d":4,"e":5}`, 10, 0, "more than 4 members"},
		{"a list inside a list answer's item", `[[1,2,3,4,5]]`, 10, 0, "more than 4 members"},
		{"nesting past the depth bound is left to encoding/json", strings.Repeat("[", maxBoundsDepth+10), 10, 0, ""},
		{"an unclosed string", `{"data":[1,2,"`, 10, 0, ""},
		{"not JSON at all", `<html>,,,,,,</html>`, 1, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := walkBounds([]byte(tt.body), testBounds(tt.items, 4))
			_, checkErr := checkBounds([]byte(tt.body), testBounds(tt.items, 4))
			assert.Equal(t, err, checkErr, "the comma count skips only what the walk accepts")
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantItems, items)
		})
	}
}

// shape is what checkBounds computes, from the document encoding/json
// decodes: the longest page (an array that is the answer or a member of its
// object) and the most members of any other array or object.
func shape(v any) (items, members int) {
	var walk func(v any, page bool)
	walk = func(v any, page bool) {
		switch v := v.(type) {
		case []any:
			if page {
				items = max(items, len(v))
			} else {
				members = max(members, len(v))
			}
			for _, e := range v {
				walk(e, false)
			}
		case map[string]any:
			members = max(members, len(v))
			for _, e := range v {
				walk(e, false)
			}
		}
	}
	if obj, ok := v.(map[string]any); ok {
		members = len(obj)
		for _, e := range obj {
			_, isList := e.([]any)
			walk(e, isList)
		}
		return items, members
	}
	walk(v, true)
	return items, members
}

// FuzzCheckBounds compares checkBounds (and its walk) with encoding/json: on a document it
// decodes without duplicate keys, checkBounds counts the same page and
// refuses exactly what holds more than the bounds.
func FuzzCheckBounds(f *testing.F) {
	for _, seed := range []string{`{"total":2,"data":[{"a":"x,]"},{}]}`, `[[1,2],[3]]`, `{"a":{"b":[1,2,3]}}`, `["\\\"",","]`, `{}`, `[]`} {
		f.Add([]byte(seed), uint8(2), uint8(2))
	}
	f.Fuzz(func(t *testing.T, body []byte, items, members uint8) {
		var v any
		if json.Unmarshal(body, &v) != nil || hasDuplicateKeys(body) {
			return
		}
		b := testBounds(int(items)+1, int(members)+1)
		wantItems, wantMembers := shape(v)
		got, err := walkBounds(body, b)
		_, checkErr := checkBounds(body, b)
		if wantItems > b.items || wantMembers > b.members {
			assert.Error(t, err, "items %d members %d over %d/%d", wantItems, wantMembers, b.items, b.members)
			assert.Error(t, checkErr)
			return
		}
		require.NoError(t, err)
		require.NoError(t, checkErr)
		assert.Equal(t, wantItems, got)
	})
}

// hasDuplicateKeys reports whether an object of body repeats a key, which
// the map encoding/json decodes would hide from shape.
func hasDuplicateKeys(body []byte) bool {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	type frame struct {
		keys   map[string]bool
		object bool
		expect bool // the next string token of an object is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{', '[':
				if top != nil && top.object {
					top.expect = true
				}
				stack = append(stack, &frame{keys: map[string]bool{}, object: tok == '{', expect: tok == '{'})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if top != nil && top.object && top.expect {
				if top.keys[tok] {
					return true
				}
				top.keys[tok] = true
				top.expect = false
				continue
			}
			if top != nil && top.object {
				top.expect = true
			}
		default:
			if top != nil && top.object {
				top.expect = true
			}
		}
	}
}

// FuzzStatRows compares the statistics answer's in-place decoding with
// encoding/json decoding each row through TicketStat.UnmarshalJSON.
func FuzzStatRows(f *testing.F) {
	f.Add([]byte(`[{"ID":1,"Priorit\u00e9":"x","New":{"a":"]"}},null,{"New":2}]`))
	f.Add([]byte(`[ {"\xa9": 1} , {} ]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var want []TicketStat
		wantErr := json.Unmarshal(body, &want)
		var got statRows
		gotErr := json.Unmarshal(body, &got)
		if wantErr != nil {
			assert.Error(t, gotErr)
			return
		}
		if gotErr != nil && strings.Contains(gotErr.Error(), "TicketStat.Extra") {
			return // the unknown-column bound, which per-row decoding does not apply
		}
		require.NoError(t, gotErr)
		assert.Equal(t, want, []TicketStat(got))
	})
}
