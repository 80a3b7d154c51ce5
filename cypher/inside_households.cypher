// The households located in any of some areas (the caller names an area and every area within it), as one
// list (a household located in two of them comes twice: the caller keeps it once), and those of them with
// more than one LOCATED_IN edge (h.homes, kept by set_home), which are asked about again for their other
// areas. Every edge counts, whatever its dates. One row: a city's households read as one list are read
// several times faster than as rows.
// $areas: [area id]
// returns: households [household id], several [household id]
UNWIND $areas AS area_id
MATCH (a:Area {id: area_id})
WITH a  // start from the indexed area
MATCH (a)<-[:LOCATED_IN]-(h:Household)
RETURN collect(h.id) AS households, collect(CASE WHEN h.homes > 1 THEN h.id ELSE null END) AS several
