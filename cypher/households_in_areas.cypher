// The households located in any of some areas (the caller names an area and every area within it), as
// one list: by LOCATED_IN edges valid on $day when given, by every edge whatever its dates when null.
// $areas: [area id]; $day: ISO date or null
// returns: households [household id]
UNWIND $areas AS area_id
MATCH (a:Area {id: area_id})
WITH a  // start from the indexed area
MATCH (a)<-[r:LOCATED_IN]-(h:Household)
WHERE $day IS NULL OR {valid:r}
RETURN collect(DISTINCT h.id) AS households
