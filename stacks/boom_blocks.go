package stacks

import (
	"reflect"
	"slices"
	"strings"
)

// toolBlocks are the tool-specific fields of Tool: the ones tagged `tools:"a,b"`, which belong to
// those tools only. The same tag gives the JSON Schema its x-orbos-tools, so MISSION's forms and
// this validation cannot drift apart.
var toolBlocks = func() (out []reflect.StructField) {
	t := reflect.TypeOf(Tool{})
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("tools") != "" {
			out = append(out, t.Field(i))
		}
	}
	return out
}()

// blockOwners are the tools a tool-specific field belongs to.
func blockOwners(f reflect.StructField) []string { return strings.Split(f.Tag.Get("tools"), ",") }

// blockBelongs says whether a tool-specific block named field may be set on tool.
func blockBelongs(field, tool string) bool {
	for _, f := range toolBlocks {
		if yamlName(f) == field {
			return slices.Contains(blockOwners(f), tool)
		}
	}
	return false
}

// refuseMisplacedBlocks refuses, by path, every tool-specific block set on a tool it does not belong
// to; the blocks' own checks run on their tools only.
func (b *Boom) refuseMisplacedBlocks(p string, e *errs) {
	for _, name := range SortedKeys(b.Tools) {
		v := reflect.ValueOf(b.Tools[name])
		for _, f := range toolBlocks {
			owners := blockOwners(f)
			if v.FieldByIndex(f.Index).IsNil() || slices.Contains(owners, name) {
				continue
			}
			which := "the " + owners[0] + " tool"
			if len(owners) > 1 {
				which = "the " + strings.Join(owners[:len(owners)-1], ", ") + " and " + owners[len(owners)-1] + " tools"
			}
			e.add(join(join(p+".tools", name), yamlName(f)), nil, "belongs to %s only, not to %s", which, name)
		}
	}
}
