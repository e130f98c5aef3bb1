-- Argo CD health of a continuum.dev Migration: Done is Healthy, Failed is Degraded (a failed
-- Migration never loses the workload, but it needs a person), every other phase Progressing.
local hs = { status = "Progressing", message = "Waiting for the operator to pick up the Migration" }
local status = obj.status
if status == nil or status.phase == nil then
  return hs
end
if status.observedGeneration ~= nil and obj.metadata.generation ~= nil
    and status.observedGeneration < obj.metadata.generation then
  hs.message = "Waiting for the operator to observe generation " .. obj.metadata.generation
  return hs
end
local phase = status.phase
if phase == "Done" then
  hs.status = "Healthy"
  hs.message = "Migrated to " .. (status.targetNode or "the target node")
  if status.duration ~= nil then
    hs.message = hs.message .. " in " .. status.duration
  end
elseif phase == "Failed" then
  hs.status = "Degraded"
  hs.message = "Failed: " .. (status.failureReason or "no reason recorded")
else
  hs.message = phase
  if status.sourceNode ~= nil then
    hs.message = hs.message .. " (from " .. status.sourceNode .. ")"
  end
end
return hs
