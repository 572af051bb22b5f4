import assert from 'node:assert/strict';
import { test } from 'node:test';
import { securityAuditRow, securityEventTypeCode } from './security-audit.js';

const at = new Date('2025-06-01T00:00:00Z');

test('a login is User Authentication (DCM 110114, 110122 Login); a failed one is refused', () => {
  const row = securityAuditRow({ kind: 'login', outcome: 'failure', accountId: 'a1', ip: '192.0.2.1', detail: { reason: 'wrong-password' } }, at);
  assert.deepEqual(row, { recorded: at, type: '110114', subtype: 'login', action: 'E', outcome: 4, accountId: 'a1', clientId: undefined, ip: '192.0.2.1', detail: { reason: 'wrong-password' } });
  assert.equal(securityEventTypeCode('login'), '110122');
  assert.equal(securityEventTypeCode('logout'), '110123');
});

test('credential, configuration and sharing changes are Security Alerts (DCM 110113) with their CID 401 code and action', () => {
  const cases = [
    ['token-revoke', '110137', 'D'],
    ['key-create', '110137', 'C'],
    ['certificate-sign', '110137', 'C'],
    ['client-filter-change', '110129', 'U'],
    ['consent-change', '110135', 'U'],
    ['study-revoke', '110135', 'D'],
  ] as const;
  for (const [kind, code, action] of cases) {
    const row = securityAuditRow({ kind, outcome: 'success', clientId: 'c1', grantId: 'g1' }, at);
    assert.deepEqual([row.type, row.action, row.outcome, securityEventTypeCode(kind), row.detail], ['110113', action, 0, code, { grant_id: 'g1' }], kind);
  }
});
