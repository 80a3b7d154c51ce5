// The layout of the store's own bookkeeping on the server (what set_home keeps, say): a number raised
// when a version of orggraph keeps it otherwise, so that an older store is brought up to date once.
// returns: layout (no row before the meta node is made)
MATCH (m:OrgGraphMeta {id: 'meta'})
RETURN coalesce(m.schema_version, 1)
