package events

// SetPerformer names who performed every event of the buffer, whatever
// the domain code recorded: an administrator acting through the console is
// the performer of the key, user and feature changes it causes, where the
// API would record "Unknown User" or "System".
func (b *Buffer) SetPerformer(name string) {
	b.mu.Lock()
	b.performer = name
	b.mu.Unlock()
}
