// The meta node, made once when a store first connects: the revision of the records and the schema's version.
MERGE (m:OrgGraphMeta {id: 'meta'})
ON CREATE SET m.revision = 0, m.schema_version = 1
