-- Argo CD health of a continuum.dev MigrationPolicy or EdgeNode, from its Ready condition:
-- True is Healthy, False is Degraded, Unknown is Progressing. `unreported` (set by the chart's
-- generator) is the health of an object without a Ready condition: Progressing for an EdgeNode,
-- whose agents are still starting; Healthy for a MigrationPolicy, which the schema validated.
local hs = { status = unreported, message = "No Ready condition reported" }
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
if obj.status.observedGeneration ~= nil and obj.metadata.generation ~= nil
    and obj.status.observedGeneration < obj.metadata.generation then
  hs.message = "Waiting for the operator to observe generation " .. obj.metadata.generation
  return hs
end
for _, condition in ipairs(obj.status.conditions) do
  if condition.type == "Ready" then
    local message = condition.reason or ""
    if condition.message ~= nil and condition.message ~= "" then
      message = message .. ": " .. condition.message
    end
    if condition.status == "True" then
      hs.status = "Healthy"
    elseif condition.status == "False" then
      hs.status = "Degraded"
    end
    hs.message = message
    return hs
  end
end
return hs
