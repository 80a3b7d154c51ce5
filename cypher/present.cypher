// The members found on the day in each of some areas itself (nothing below it): those with a CONTACTS edge
// valid on the day to a household located there on the day (LOCATED_IN valid on it), an ASSIGNED_TO edge
// valid on the day to the area, or RESIDES_IN (valid on the day) a household located there on the day.
// Availability is not applied.
// $areas: [area id]; $day: ISO date
// returns: member, area
UNWIND $areas AS area_id
MATCH (a:Area {id: area_id})
WITH a  // start from the indexed area (FalkorDB would otherwise scan every member)
MATCH (a)<-[l:LOCATED_IN]-(:Household)<-[c:CONTACTS]-(m:Member)
WHERE {valid:l} AND {valid:c}
RETURN DISTINCT m.id AS member, a.id AS area
UNION
UNWIND $areas AS area_id
MATCH (a:Area {id: area_id})
WITH a
MATCH (a)<-[r:ASSIGNED_TO]-(m:Member)
WHERE {valid:r}
RETURN DISTINCT m.id AS member, a.id AS area
UNION
UNWIND $areas AS area_id
MATCH (a:Area {id: area_id})
WITH a
MATCH (a)<-[l:LOCATED_IN]-(:Household)<-[s:RESIDES_IN]-(m:Member)
WHERE {valid:l} AND {valid:s}
RETURN DISTINCT m.id AS member, a.id AS area
