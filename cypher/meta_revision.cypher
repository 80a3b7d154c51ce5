// The revision of the records: a number raised by every write that changes them.
// returns: revision (no row before the schema is made)
MATCH (m:OrgGraphMeta {id: 'meta'})
RETURN m.revision
