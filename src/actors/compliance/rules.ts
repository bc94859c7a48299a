/**
 * Compliance rules (agent M9) checked before an order reaches the book: for now the restricted-symbols
 * list (symbols nobody may trade, e.g. under a trading halt or on a watch list), per account or global.
 */
export type ComplianceDecision = { ok: true } | { ok: false; reason: 'ERR_COMPLIANCE_RESTRICTED'; message: string };

export class ComplianceRules {
  private readonly restricted = new Set<string>();
  private readonly restrictedForAccount = new Map<string, Set<string>>();

  restrict(symbol: string, account?: string): void {
    if (account === undefined) {
      this.restricted.add(symbol);
      return;
    }
    let symbols = this.restrictedForAccount.get(account);
    if (symbols === undefined) this.restrictedForAccount.set(account, (symbols = new Set()));
    symbols.add(symbol);
  }

  lift(symbol: string, account?: string): void {
    if (account === undefined) this.restricted.delete(symbol);
    else this.restrictedForAccount.get(account)?.delete(symbol);
  }

  check(account: string, symbol: string): ComplianceDecision {
    if (this.restricted.has(symbol) || this.restrictedForAccount.get(account)?.has(symbol) === true) {
      return { ok: false, reason: 'ERR_COMPLIANCE_RESTRICTED', message: `expected an unrestricted symbol, was ${symbol} (restricted${this.restricted.has(symbol) ? '' : ` for ${account}`})` };
    }
    return { ok: true };
  }
}
