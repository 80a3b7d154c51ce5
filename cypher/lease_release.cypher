// End a writer's lease of the records, if it still holds it.
// params: holder
MATCH (m:OrgGraphMeta {id: 'meta'})
WHERE m.lease_holder = $holder
SET m.lease_until = 0, m.lease_holder = ''
