package stackconfig

// Delete removes key from the desired state; a key that is not there is no error. A value that
// became empty is removed rather than written empty: the spec refuses empty strings.
func (f *File) Delete(key string) error {
	parts, err := splitKey(key)
	if err != nil {
		return err
	}
	n := f.lookupKey(parts[:len(parts)-1])
	if n == nil {
		return nil
	}
	last := parts[len(parts)-1]
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == last {
			n.Content = append(n.Content[:i], n.Content[i+2:]...)
			return nil
		}
	}
	return nil
}
