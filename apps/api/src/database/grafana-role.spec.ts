import { hideSecretsStatements, showSecretsStatements } from './grafana-role';

describe('the Grafana role statements', () => {
  it.each(['', 'Grafana', 'orfleet grafana', "x'; DROP TABLE device; --", '1role', 'a'.repeat(64)])(
    'refuse the role name %j: it is spliced into SQL',
    (role) => {
      expect(() => hideSecretsStatements(role)).toThrow(/role name/);
      expect(() => showSecretsStatements(role)).toThrow(/role name/);
    },
  );

  it.each(['orfleet_grafana', '_r', 'a'.repeat(63)])('take the role name %j', (role) => {
    expect(hideSecretsStatements(role).join('\n')).toContain(`FROM ${role};`);
    expect(showSecretsStatements(role).join('\n')).toContain(`TO ${role};`);
  });
});
