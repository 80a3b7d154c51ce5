// The households located in any of some areas (the caller names an area and every area within it), each
// with how many LOCATED_IN edges it has (h.homes, kept by set_home): those with more than one are asked
// about again for their other areas. Every edge counts, whatever its dates.
// $areas: [area id]
// returns: household, homes
UNWIND $areas AS area_id
MATCH (a:Area {id: area_id})
WITH a  // start from the indexed area
MATCH (a)<-[:LOCATED_IN]-(h:Household)
RETURN DISTINCT h.id AS household, coalesce(h.homes, 1) AS homes
