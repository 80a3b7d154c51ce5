// Record the layout of the store's bookkeeping once it is brought up to date (see meta_layout).
// $layout: the layout number
// returns: written (1)
MATCH (m:OrgGraphMeta {id: 'meta'})
SET m.schema_version = $layout
RETURN 1 AS written
