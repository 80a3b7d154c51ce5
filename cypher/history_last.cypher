// The number of the last entry of the history (0 when there is none).
MATCH (m:OrgGraphMeta {id: 'meta'})
RETURN coalesce(m.history, 0)
