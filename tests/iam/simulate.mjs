// Evaluates many IAM requests against service control policies with @cloud-copilot/iam-simulate
// (test-only, never shipped). One process for all requests: Node and the IAM data load once.
//
// stdin:  {"scps": [{"orgIdentifier": "r-root", "policies": [<policy JSON>, ...]},
//                   {"orgIdentifier": "ou-...", "policies": [...]}],      root first, as in AWS
//          "requests": [{"id": "...", "action": "bedrock:InvokeModel", "resource": "arn:...",
//                        "principal": "arn:aws:iam::222222222222:role/x", "context": {...}}, ...]}
// stdout: [{"id": "...", "result": "Allowed"|"ExplicitlyDenied"|"ImplicitlyDenied"|"Error",
//           "detail": {...}}, ...]                                       one per request, same order
//
// The principal holds one allow-all identity policy, so only the SCPs decide (a KMS key gets the default key
// policy). The resource lives in the principal's account (taken from the principal ARN) unless a request gives
// "accountId".
// A policy in "policies" is either a bare policy document or {"name": ..., "policy": <document>}.
// `aws:PrincipalArn` is filled in from the principal unless the request's context sets it: the
// simulator does not derive it, and an absent key makes an `ArnNotLike` break-glass exception true
// for everybody (a negated operator on a missing key matches).
// detail: {resultType, denials: [{policy, org, sid}], ignoredContextKeys, resourceType} or, for an
// error, {resultType: "error", message, errors}.
import { getDenialReasons, runSimulation } from '@cloud-copilot/iam-simulate';

const ALLOW_ALL_IDENTITY = {
  name: 'AllowAllIdentity',
  policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
};

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function orgPolicies(scps) {
  return scps.map((level) => ({
    orgIdentifier: level.orgIdentifier,
    policies: level.policies.map((p, i) =>
      p && typeof p === 'object' && 'policy' in p
        ? { name: p.name ?? `${level.orgIdentifier}-${i + 1}`, policy: p.policy }
        : { name: `${level.orgIdentifier}-${i + 1}`, policy: p },
    ),
  }));
}

function accountOf(arn) {
  return arn.split(':')[4] ?? '';
}

function analysesOf(response) {
  if (response.resultType === 'single') return [response.result];
  return response.results;
}

function detailOf(response) {
  if (response.resultType === 'error') {
    return { resultType: 'error', message: response.errors.message, errors: response.errors };
  }
  const analyses = analysesOf(response);
  const denials = analyses.flatMap((r) =>
    getDenialReasons(r.analysis)
      .filter((d) => d.denialType === 'Explicit' || d.policyType === 'scp')
      .map((d) => ({
        type: d.denialType,
        policyType: d.policyType,
        policy: d.policyIdentifier ?? d.identifier,
        org: d.orgIdentifier ?? d.identifier,
        sid: d.statementId,
      })),
  );
  return {
    resultType: response.resultType,
    denials,
    ignoredContextKeys: [...new Set(analyses.flatMap((r) => r.ignoredContextKeys ?? []))],
    resourceTypes: [...new Set(analyses.map((r) => r.resourceType).filter(Boolean))],
  };
}

// A KMS key is only usable through its key policy: give the default one (the account may use it through IAM),
// so that only the SCPs decide, as for every other resource.
function defaultResourcePolicy(request) {
  if (!request.resource.startsWith('arn:aws:kms:')) return undefined;
  const account = request.accountId ?? accountOf(request.principal);
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }],
  };
}

async function evaluate(request, serviceControlPolicies) {
  const contextVariables = { ...(request.context ?? {}) };
  const hasPrincipalArn = Object.keys(contextVariables).some((k) => k.toLowerCase() === 'aws:principalarn');
  if (!hasPrincipalArn) contextVariables['aws:PrincipalArn'] = request.principal;
  const simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.accountId ?? accountOf(request.principal) },
      contextVariables,
    },
    identityPolicies: [ALLOW_ALL_IDENTITY],
    serviceControlPolicies,
    resourceControlPolicies: [],
  };
  const resourcePolicy = request.resourcePolicy ?? defaultResourcePolicy(request);
  if (resourcePolicy) simulation.resourcePolicy = resourcePolicy;
  try {
    const response = await runSimulation(simulation, {});
    const result = response.resultType === 'error' ? 'Error' : response.overallResult;
    return { id: request.id, result, detail: detailOf(response) };
  } catch (err) {
    return { id: request.id, result: 'Error', detail: { resultType: 'exception', message: String(err?.stack ?? err) } };
  }
}

const input = await readStdin();
const serviceControlPolicies = orgPolicies(input.scps ?? []);
const results = [];
for (const request of input.requests ?? []) {
  results.push(await evaluate(request, serviceControlPolicies));
}
process.stdout.write(JSON.stringify(results));
