import { TypeCompiler } from '@sinclair/typebox/compiler'
import { AppliedCustomerBillingRateCreateSchema } from './applied-customer-billing-rate.ts'
import { unstorableText } from '../input-guard.ts'

const checker = TypeCompiler.Compile(AppliedCustomerBillingRateCreateSchema)

/**
 * Checks one rate against the same schema the single-rate POST uses, for bulk lines (NDJSON/CSV), so a line
 * is refused for the same reasons, in the same words (text a store cannot keep included, as the single-rate POST
 * refuses it before validation). Returns the reason, or undefined when valid.
 */
export function checkRateInput (record: unknown): string | undefined {
  if (checker.Check(record)) return unstorableText(record)
  const first = checker.Errors(record).First()
  if (!first) return 'invalid rate'
  const path = first.path.slice(1).replaceAll('/', '.')
  return path ? `'${path}' ${first.message.toLowerCase()}` : first.message
}
