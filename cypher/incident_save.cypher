// Keep a new incident (orggraph.incidents), apart from the network under its own label, numbered from the
// meta node in the same statement so that incidents list in the order they were opened.
// $id, $data (JSON text: name, opened, by, as_of, unavailable, areas, households, counts), $sheet (the call
// sheet's parts: compressed JSON, in base64)
MATCH (m:OrgGraphMeta {id: 'meta'})
SET m.incidents = coalesce(m.incidents, 0) + 1
WITH m.incidents AS seq
CREATE (:OrgGraphIncident {id: $id, seq: seq, data: $data, sheet: $sheet})
