// The meta node, made once when a store first connects: the revision of the records and the layout of
// the store's bookkeeping (meta_layout; a new store has the current one).
// $layout: the layout number of this version
MERGE (m:OrgGraphMeta {id: 'meta'})
ON CREATE SET m.revision = 0, m.schema_version = $layout
