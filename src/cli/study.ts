import type { Command } from 'commander';
import { createStudyGrants, studyGrantView, type StudyGrants } from '../access/studies/study-grants.js';
import { createStudyStore, type StudyGrant } from '../storage/access/study-store.js';
import { createClientStore } from '../storage/auth/client-store.js';
import { securityEventRecorder } from '../storage/auth/security-event-store.js';
import type { RunCommand } from './output.js';
import { withDatabase } from './with-database.js';

interface GrantOptions {
  readonly client: string;
  readonly study: string;
}

/** `fhirkeep study grant | revoke | list` (CONTRACT.md, docs/research.md): which studies each research partner may query. */
export function registerStudyCommands(program: Command, run: RunCommand): void {
  const study = program.command('study').description('research studies a research partner may query');
  const parties = (command: Command) =>
    command.requiredOption('--client <id>', 'the research partner (a client of type research)').requiredOption('--study <id-or-identifier>', 'the ResearchStudy: its id, or system|value of its identifier');
  parties(study.command('grant').description('authorize a research partner for a study (the study must exist)')).action((o: GrantOptions) =>
    run((out) =>
      withStudies(async (grants) => {
        const granted = await grants.grant(o.client, o.study);
        out.result(`Granted ${line(granted)}`, { grant: studyGrantView(granted) });
        return 0;
      }),
    )(),
  );
  parties(study.command('revoke').description('withdraw it: the partner’s next request in that study is refused')).action((o: GrantOptions) =>
    run((out) =>
      withStudies(async (grants) => {
        const revoked = await grants.revoke(o.client, o.study);
        out.result(revoked.map((g) => `Revoked ${line(g)}`).join('\n'), { revoked: revoked.map(studyGrantView) });
        return 0;
      }),
    )(),
  );
  study
    .command('list')
    .description('list study grants, all or one partner’s')
    .option('--client <id>', 'the research partner')
    .action((o: { client?: string }) =>
      run((out) =>
        withStudies(async (grants) => {
          const list = await grants.list(o.client);
          out.result(list.length === 0 ? 'No study grants' : list.map(line).join('\n'), { grants: list.map(studyGrantView) });
          return 0;
        }),
      )(),
    );
}

function line(g: StudyGrant): string {
  return `client=${g.clientId}  study=${g.studyId}  ${g.grantedAt.toISOString()}${g.grantedBy === undefined ? '' : `  by=${g.grantedBy}`}`;
}

/** The study grants beside a running server: its requests read the grants on every request, so no node needs telling. */
function withStudies(work: (grants: StudyGrants) => Promise<number>): Promise<number> {
  return withDatabase((db, logger) => {
    const clients = createClientStore(db.sql);
    return work(createStudyGrants({ store: createStudyStore(db.sql), client: async (id) => (await clients.find(id))?.client, record: securityEventRecorder(db.sql, logger) }));
  });
}
