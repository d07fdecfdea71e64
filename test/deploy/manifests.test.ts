// The Kubernetes manifests in deploy/ render with `kubectl kustomize` (Debian's kubernetes-client, installed by
// `make test-deps`) and every object validates against the Kubernetes OpenAPI schemas shipped by the
// kubernetes-models package (Ajv-compiled validators). CloudNativePG's kinds have no schema in a well-kept npm
// package: they are checked for apiVersion, kind, metadata and the settings this service depends on. Then the
// relations a schema cannot see: probes, drain timings, secrets by reference, selectors that match.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import t from 'tap'
import { loadConfig, shutdownTimeout } from '../../src/config.js'
import { parseAllDocuments } from 'yaml'
import { Deployment } from 'kubernetes-models/apps/v1'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2'
import { Job } from 'kubernetes-models/batch/v1'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import { ConfigMap, Service, ServiceAccount } from 'kubernetes-models/v1'

const ROOT = resolve(import.meta.dirname, '../..')

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; [key: string]: any }

const SCHEMAS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler
}
const CLOUDNATIVE_PG = 'postgresql.cnpg.io/v1'

function render(dir: string): Manifest[] {
  let out: string
  try {
    out = execFileSync('kubectl', ['kustomize', resolve(ROOT, dir)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (error) {
    throw new Error(`kubectl kustomize ${dir} failed (kubectl comes from Debian's kubernetes-client: make test-deps): ${String(error)}`)
  }
  return parseAllDocuments(out).map((doc) => doc.toJSON() as Manifest)
}

/** Validates against the Kubernetes schema of its apiVersion and kind; throws naming the object and the field. */
function validate(object: Manifest): void {
  const id = `${object.kind}/${object.metadata?.name}`
  if (object.apiVersion === CLOUDNATIVE_PG) {
    if (!['Cluster', 'Pooler'].includes(object.kind)) throw new Error(`${id}: unexpected CloudNativePG kind`)
    if (typeof object.metadata?.name !== 'string' || object.metadata.name === '') throw new Error(`${id}: metadata.name missing`)
    if (typeof object.spec !== 'object' || object.spec === null) throw new Error(`${id}: spec missing`)
    return
  }
  const Model = SCHEMAS[`${object.apiVersion}/${object.kind}`]
  if (!Model) throw new Error(`${id}: no schema for ${object.apiVersion} ${object.kind}; add it to SCHEMAS`)
  try {
    new Model(object as never).validate()
  } catch (error) {
    throw new Error(`${id}: ${(error as Error).message}`)
  }
}

function find(objects: Manifest[], kind: string, name?: string): Manifest {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name))
  if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ''} rendered`)
  return found
}

const base = render('deploy/base')
const example = render('deploy/examples/cloudnative-pg')

t.test('every rendered object validates against its schema', async (t) => {
  for (const object of [...base, ...example]) t.doesNotThrow(() => validate(object), `${object.kind}/${object.metadata.name}`)
  t.same([...new Set(base.map((o) => o.kind))].sort(), [
    'ConfigMap',
    'Deployment',
    'HorizontalPodAutoscaler',
    'Job',
    'PodDisruptionBudget',
    'Service',
    'ServiceAccount'
  ])
  t.notOk(
    [...base, ...example].some((o) => o.kind === 'Secret'),
    'no Secret is committed: secrets are referenced'
  )
})

t.test('the validation fails on a broken field', async (t) => {
  const broken = structuredClone(find(base, 'Deployment'))
  broken.spec.template.spec.containers[0].ports[0].containerPort = 'three thousand'
  t.throws(() => validate(broken), /containerPort must be integer/)
  const hpa = structuredClone(find(base, 'HorizontalPodAutoscaler'))
  delete hpa.spec.scaleTargetRef
  t.throws(() => validate(hpa), /scaleTargetRef/)
})

t.test('the Deployment: probes, non-root, read-only root filesystem, resources, secrets by reference', async (t) => {
  const deployment = find(base, 'Deployment')
  const pod = deployment.spec.template.spec
  const [server] = pod.containers
  t.equal(server.startupProbe.httpGet.path, '/readyz')
  t.equal(server.readinessProbe.httpGet.path, '/readyz')
  t.equal(server.livenessProbe.httpGet.path, '/healthz')
  t.ok(server.startupProbe.periodSeconds * server.startupProbe.failureThreshold >= 120, 'a first migration has minutes to finish')
  t.equal(pod.securityContext.runAsNonRoot, true)
  t.not(pod.securityContext.runAsUser, 0)
  t.equal(server.securityContext.readOnlyRootFilesystem, true)
  t.equal(server.securityContext.allowPrivilegeEscalation, false)
  t.same(server.securityContext.capabilities.drop, ['ALL'])
  const mounts = new Map<string, string>(server.volumeMounts.map((m: { mountPath: string; name: string }) => [m.mountPath, m.name]))
  t.ok(
    pod.volumes.some((v: { name: string; emptyDir?: object }) => v.name === mounts.get('/tmp') && v.emptyDir),
    '/tmp is an emptyDir'
  )
  for (const kind of ['requests', 'limits']) t.ok(server.resources[kind].cpu && server.resources[kind].memory, `${kind} set`)
  t.equal(deployment.spec.replicas, undefined, 'the HorizontalPodAutoscaler owns the replica count')

  const secretRefs = new Map<string, { key: string; optional?: boolean }>(
    server.env
      .filter((e: { valueFrom?: { secretKeyRef?: object } }) => e.valueFrom?.secretKeyRef)
      .map((e: { name: string; valueFrom: { secretKeyRef: { key: string; optional?: boolean } } }) => [e.name, e.valueFrom.secretKeyRef])
  )
  for (const name of ['DATABASE_URL', 'CREDENTIALS_KEY', 'ADMIN_TOKEN']) t.ok(secretRefs.has(name), `${name} from the Secret`)
  t.notOk(secretRefs.get('DATABASE_URL')?.optional, 'DATABASE_URL is required')
  t.notOk(secretRefs.get('CREDENTIALS_KEY')?.optional, 'CREDENTIALS_KEY is required')
  const configMap = find(base, 'ConfigMap')
  for (const secret of ['DATABASE_URL', 'CREDENTIALS_KEY', 'ADMIN_TOKEN', 'CREDENTIALS_OLD_KEYS'])
    t.notOk(secret in configMap.data, `${secret} not in the ConfigMap`)
  t.ok(server.envFrom.some((e: { configMapRef?: { name: string } }) => e.configMapRef?.name === configMap.metadata.name))
  t.equal(configMap.data.HOST, '0.0.0.0')
  t.equal(String(server.ports[0].containerPort), configMap.data.PORT)
})

t.test('termination grace covers the drain delay and the shutdown timeout the service derives', async (t) => {
  const pod = find(base, 'Deployment').spec.template.spec
  // The ConfigMap read as the service reads its environment: it must also be a valid configuration.
  const config = loadConfig(find(base, 'ConfigMap').data)
  const drain = config.DRAIN_DELAY_MS / 1000
  const shutdown = shutdownTimeout(config) / 1000
  t.ok(drain > 0, 'a drain period after SIGTERM')
  t.notOk(pod.containers[0].lifecycle?.preStop, 'no preStop sleep on top of it: the service drains by itself')
  t.ok(
    pod.terminationGracePeriodSeconds > drain + shutdown,
    `grace ${pod.terminationGracePeriodSeconds} s > drain ${drain} s + shutdown ${shutdown} s`
  )
})

t.test('Service, PodDisruptionBudget and HorizontalPodAutoscaler reach the Deployment', async (t) => {
  const deployment = find(base, 'Deployment')
  const labels: Record<string, string> = deployment.spec.template.metadata.labels
  const matches = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v)
  t.ok(matches(deployment.spec.selector.matchLabels))
  t.ok(matches(find(base, 'Service').spec.selector), 'the Service selects the pods')
  t.equal(find(base, 'Service').spec.ports[0].targetPort, 'http')
  t.ok(matches(find(base, 'PodDisruptionBudget').spec.selector.matchLabels), 'the PodDisruptionBudget selects the pods')
  const hpa = find(base, 'HorizontalPodAutoscaler')
  t.same(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name })
  t.ok(hpa.spec.minReplicas >= 2, 'two replicas at least, so a disruption leaves one serving')
  t.equal(hpa.spec.metrics[0].resource.name, 'cpu')
})

t.test('the migration Job runs the compiled entry point the image carries', async (t) => {
  const job = find(base, 'Job')
  const pod = job.spec.template.spec
  t.same(pod.containers[0].command, ['node', 'dist/scripts/migrate.js'])
  t.ok(existsSync(resolve(ROOT, 'scripts/migrate.ts')), 'scripts/migrate.ts compiles to dist/scripts/migrate.js')
  t.equal(pod.restartPolicy, 'Never')
  t.equal(pod.securityContext.runAsNonRoot, true)
  t.equal(pod.containers[0].securityContext.readOnlyRootFilesystem, true)
  const env = new Map(
    pod.containers[0].env.map((e: { name: string; valueFrom: { secretKeyRef: { key: string } } }) => [e.name, e.valueFrom.secretKeyRef.key])
  )
  t.equal(env.get('DATABASE_DIRECT_URL'), 'DATABASE_DIRECT_URL', 'migrations connect directly, not through PgBouncer')
  const server = find(base, 'Deployment').spec.template.spec.containers[0]
  t.ok(
    server.env.some((e: { name: string }) => e.name === 'DATABASE_DIRECT_URL'),
    'the service LISTENs over the direct URL too'
  )
  t.equal(env.get('CREDENTIALS_KEY'), 'CREDENTIALS_KEY')
})

t.test('the CloudNativePG example: a Cluster and its PgBouncer Pooler in transaction mode', async (t) => {
  const cluster = find(example, 'Cluster')
  const pooler = find(example, 'Pooler')
  t.equal(cluster.apiVersion, CLOUDNATIVE_PG)
  t.equal(pooler.spec.cluster.name, cluster.metadata.name)
  t.equal(pooler.spec.type, 'rw')
  t.equal(pooler.spec.pgbouncer.poolMode, 'transaction')
  t.ok(Number.isInteger(cluster.spec.instances) && cluster.spec.instances >= 1)
  t.equal(example.length, base.length + 2, 'the example is the base plus the database')
})
