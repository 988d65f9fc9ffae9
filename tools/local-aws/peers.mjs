// Starts the local SQS and SES v2 peers on loopback and prints one JSON line with their
// endpoints once both listen, e.g. {"sqs":"http://127.0.0.1:9324","ses":"http://127.0.0.1:8005"}.
// Port 0 picks a free port, which is how the tests get a private pair per run.
// Usage: node peers.mjs [--sqs-port N] [--ses-port N] [--host 127.0.0.1]
// The SES peer's GetAccount answers with AWS_SES_ACCOUNT; a sandbox-like default is set here.
import Module, { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);
const { createSqsServer } = loadSqsPeer();
const sesServer = require('aws-ses-v2-local').default;

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const host = option('host', '127.0.0.1');
const sqsPort = Number(option('sqs-port', '9324'));
const sesPort = Number(option('ses-port', '8005'));

process.env.AWS_SES_ACCOUNT ??= JSON.stringify({
  DedicatedIpAutoWarmupEnabled: false,
  Details: {
    AdditionalContactEmailAddresses: [], ContactLanguage: 'EN', MailType: 'TRANSACTIONAL',
    ReviewDetails: { CaseId: 'local', Status: 'GRANTED' }, UseCaseDescription: 'local peer',
    WebsiteURL: 'http://localhost',
  },
  EnforcementStatus: 'HEALTHY',
  ProductionAccessEnabled: true,
  SendingEnabled: true,
  SendQuota: { Max24HourSend: 50000, MaxSendRate: Number(process.env.LOCAL_SES_MAX_SEND_RATE ?? 14), SentLast24Hours: 0 },
  SuppressionAttributes: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
});

// A port in use is named with the variable that changes it, rather than Node's raw EADDRINUSE.
const portVariables = { [sqsPort]: 'SQS_PORT (--sqs-port)', [sesPort]: 'SES_PORT (--ses-port)' };
function explainListenError(error) {
  if (error?.code !== 'EADDRINUSE') throw error;
  process.stderr.write(`Port ${error.port} on ${host} is already in use (another run-local.sh?). ` +
    `Stop what listens there, or choose another port with ${portVariables[error.port] ?? 'SQS_PORT or SES_PORT'}.\n`);
  process.exit(1);
}
process.on('uncaughtException', explainListenError);
let sqs, ses;
try {
  sqs = await createSqsServer({ port: sqsPort, hostname: host, emulateQueueCreationLifecycle: false });
  ses = await sesServer({ port: sesPort, host });
  // The SES peer's start settles even when its port is taken; it then does not listen.
  if (!ses.listening) explainListenError({ code: 'EADDRINUSE', port: sesPort });
} catch (error) {
  explainListenError(error);
}
const url = (server) => `http://${host}:${server.address().port}`;
process.stdout.write(JSON.stringify({ sqs: url(sqs), ses: url(ses) }) + '\n');

const stop = () => { sqs.close(); ses.close(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// Tests start this process with a pipe on stdin: when the test host dies, stdin closes and the
// peers go with it, so no orphan keeps a port.
if (process.argv.includes('--exit-with-stdin')) {
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
}

// local-aws-sqs 2.0.2 counts every ChangeMessageVisibility as a receive (SQS counts only receives), and moves a
// message to the dead-letter queue when its visibility ends with that count at maxReceiveCount. A request whose
// visibility the engine kept extending was then dead-lettered by the peer when released, which SQS never does.
// The peer's code is loaded here with that one count corrected; should the peer change, this stops with a message
// rather than run uncorrected.
function loadSqsPeer() {
  const file = require.resolve('local-aws-sqs');
  const counted = 'let n=Number(t.record.attributes.ApproximateReceiveCount)+1;';
  const source = readFileSync(file, 'utf8');
  if (!source.includes(counted)) {
    process.stderr.write(`local-aws-sqs is not the version this launcher corrects (${file}); see docs/pipeline.md, "SQS and the local peer".\n`);
    process.exit(1);
  }
  // In the peer, the third argument of the function that hides a message is true only for a visibility change.
  const corrected = source.replace(counted, 'let n=Number(t.record.attributes.ApproximateReceiveCount)+(i?0:1);');
  const peer = new Module(file);
  peer.filename = file;
  peer.paths = Module._nodeModulePaths(dirname(file));
  peer._compile(corrected, file);
  return peer.exports;
}
