// Who serves in some areas on the day: the members ASSIGNED_TO each (with their role) and the organizations
// that GOVERN it (availability not applied).
// $areas: [area id]; $day: ISO date
// returns: what ('assigned' or 'governs'), area, id (member or org), role (null for an org)
UNWIND $areas AS area_id
MATCH (a:Area {id: area_id})
WITH a  // start from the indexed node
MATCH (m:Member)-[r:ASSIGNED_TO]->(a)
WHERE {valid:r}
RETURN 'assigned' AS what, a.id AS area, m.id AS id, r.role AS role
UNION ALL
UNWIND $areas AS area_id
MATCH (a:Area {id: area_id})
WITH a  // start from the indexed node
MATCH (o:Org)-[g:GOVERNS]->(a)
WHERE {valid:g}
RETURN 'governs' AS what, a.id AS area, o.id AS id, NULL AS role
