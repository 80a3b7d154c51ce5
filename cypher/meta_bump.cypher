// Raise the revision of the records by one, after a write that changed them.
MATCH (m:OrgGraphMeta {id: 'meta'})
SET m.revision = m.revision + 1
