// Where members can be found, for stand-ins: within each area, the available members who contact a
// household located there (on the day), are assigned there (on the day), or live there.
// $areas: [area id]; $day: ISO date; $unavailable: [member id] (what-if)
// returns: area, member
UNWIND $areas AS area_id
MATCH (top:Area {id: area_id})
WITH area_id, top  // start from the indexed area (FalkorDB would otherwise scan every member)
MATCH (top)<-[:WITHIN*0..]-(:Area)<-[:LOCATED_IN]-(:Household)<-[c:CONTACTS]-(m:Member)
WHERE {valid:c} AND {available:m}
RETURN DISTINCT area_id AS area, m.id AS member
UNION
UNWIND $areas AS area_id
MATCH (top:Area {id: area_id})
WITH area_id, top  // start from the indexed area (FalkorDB would otherwise scan every member)
MATCH (top)<-[:WITHIN*0..]-(:Area)<-[r:ASSIGNED_TO]-(m:Member)
WHERE {valid:r} AND {available:m}
RETURN DISTINCT area_id AS area, m.id AS member
UNION
UNWIND $areas AS area_id
MATCH (top:Area {id: area_id})
WITH area_id, top  // start from the indexed area (FalkorDB would otherwise scan every member)
MATCH (top)<-[:WITHIN*0..]-(:Area)<-[:LOCATED_IN]-(:Household)<-[:RESIDES_IN]-(m:Member)
WHERE {available:m}
RETURN DISTINCT area_id AS area, m.id AS member
