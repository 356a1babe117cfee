import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

/**
 * The only place that reads the environment. Everything else receives a `Config`.
 * Each variable is documented in the README's configuration table.
 */
const EnvSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  HOST: Type.String({ default: '0.0.0.0' }),
  DATABASE_URL: Type.String({ default: 'sqlite:./data/tmfbill.db' }),
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  LOG_LEVEL: Type.Union([Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'),
    Type.Literal('debug'), Type.Literal('trace'), Type.Literal('silent')], { default: 'info' }),
  MAX_PAGE_SIZE: Type.Integer({ minimum: 1, default: 1000 }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 1048576 }),
  ROUNDING_MODE: Type.Union([Type.Literal('halfUp'), Type.Literal('halfEven'), Type.Literal('halfDown'),
    Type.Literal('up'), Type.Literal('down'), Type.Literal('ceiling'), Type.Literal('floor')], { default: 'halfUp' }),
  TAX_RULES: Type.Optional(Type.String()),
  PAYMENT_TERMS_DAYS: Type.Integer({ minimum: 0, default: 30 }),
  BILL_CYCLE_DAY: Type.Integer({ minimum: 1, maximum: 28, default: 1 }),
  BILL_NUMBER_PREFIX: Type.String({ default: 'INV-' }),
  BILL_RUN_SCHEDULE: Type.Union([Type.Literal('on'), Type.Literal('off')], { default: 'on' }),
  BILL_RUN_INTERVAL_SECONDS: Type.Integer({ minimum: 1, default: 3600 }),
  ISSUER_NAME: Type.String({ default: 'tmfbill' }),
  EVENT_DELIVERY_TARGET: Type.Union([Type.Literal('callback'), Type.Literal('listener')], { default: 'callback' }),
  EVENT_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 10000 }),
  EVENT_RETRY_BASE_MS: Type.Integer({ minimum: 1, default: 10000 }),
  EVENT_RETRY_MAX_ATTEMPTS: Type.Integer({ minimum: 1, default: 20 }),
  EVENT_RETRY_MAX_DELAY_MS: Type.Integer({ minimum: 1, default: 10800000 }),
  EVENT_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 256, default: 8 }),
  EVENT_POLL_MS: Type.Integer({ minimum: 10, default: 500 }),
  EVENT_RETENTION_DAYS: Type.Integer({ minimum: 0, default: 30 }),
  ALLOW_PRIVATE_CALLBACKS: Type.Union([Type.Literal('true'), Type.Literal('false')], { default: 'false' })
})

type Env = Static<typeof EnvSchema>

export interface Config {
  port: number
  host: string
  databaseUrl: string
  publicUrl: string
  logLevel: Env['LOG_LEVEL']
  maxPageSize: number
  bodyLimitBytes: number
  roundingMode: Env['ROUNDING_MODE']
  taxRules: string | undefined
  paymentTermsDays: number
  billCycleDay: number
  billNumberPrefix: string
  billRunSchedule: boolean
  billRunIntervalSeconds: number
  issuerName: string
  events: {
    target: 'callback' | 'listener'
    timeoutMs: number
    retryBaseMs: number
    maxAttempts: number
    /** Cap on one retry delay (docs/events.md gives the whole schedule). */
    retryMaxDelayMs: number
    /** Subscriptions served at the same time by one process (each one's events go one at a time). */
    concurrency: number
    pollMs: number
    allowPrivateCallbacks: boolean
    /** Days delivered deliveries and their fully delivered events are kept; 0 keeps them for ever. */
    retentionDays: number
  }
}

export class ConfigError extends Error {}

export function loadConfig (env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const known = Object.fromEntries(Object.keys(EnvSchema.properties).filter((k) => env[k] !== undefined && env[k] !== '')
    .map((k) => [k, env[k]]))
  const converted = Value.Default(EnvSchema, Value.Convert(EnvSchema, known))
  if (!Value.Check(EnvSchema, converted)) {
    const problems = [...Value.Errors(EnvSchema, converted)].map((e) => `${e.path.slice(1)}: ${e.message}`)
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`)
  }
  const e = converted as Env
  const host = e.HOST === '0.0.0.0' || e.HOST === '::' ? 'localhost' : e.HOST
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    publicUrl: (e.PUBLIC_URL ?? `http://${host}:${e.PORT}`).replace(/\/+$/, ''),
    logLevel: e.LOG_LEVEL,
    maxPageSize: e.MAX_PAGE_SIZE,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    roundingMode: e.ROUNDING_MODE,
    taxRules: e.TAX_RULES,
    paymentTermsDays: e.PAYMENT_TERMS_DAYS,
    billCycleDay: e.BILL_CYCLE_DAY,
    billNumberPrefix: e.BILL_NUMBER_PREFIX,
    billRunSchedule: e.BILL_RUN_SCHEDULE === 'on',
    billRunIntervalSeconds: e.BILL_RUN_INTERVAL_SECONDS,
    issuerName: e.ISSUER_NAME,
    events: {
      target: e.EVENT_DELIVERY_TARGET,
      timeoutMs: e.EVENT_TIMEOUT_MS,
      retryBaseMs: e.EVENT_RETRY_BASE_MS,
      maxAttempts: e.EVENT_RETRY_MAX_ATTEMPTS,
      retryMaxDelayMs: e.EVENT_RETRY_MAX_DELAY_MS,
      concurrency: e.EVENT_CONCURRENCY,
      pollMs: e.EVENT_POLL_MS,
      allowPrivateCallbacks: e.ALLOW_PRIVATE_CALLBACKS === 'true',
      retentionDays: e.EVENT_RETENTION_DAYS
    },
    ...overrides
  }
}
