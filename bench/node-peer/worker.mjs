// The usual alternative: an SQS → SES worker as teams commonly build it. sqs-consumer receives batches of 10 and
// runs the handler on each message of a batch at once; the handler sends one SES v2 SendEmail with the AWS SDK v3
// (standard retry mode: up to 3 attempts, throttling errors backed off) and returns the message, which
// sqs-consumer then deletes. A send that still fails throws: the message stays and reappears after the queue's
// visibility timeout. No deduplication, no client-side rate limit. Scaled by running several consumers.
//
// Environment: QUEUE_URL, SQS_ENDPOINT, SES_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// CONSUMERS (default 20), WAIT_TIME_SECONDS (default 20), FROM (default shop@example.com).
import { Agent } from 'node:http';
import { Consumer } from 'sqs-consumer';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';

const env = process.env;
const consumers = Number(env.CONSUMERS ?? 20);
const batchSize = 10;
// Enough sockets for every message of every consumer's batch to be in a call at once.
const agent = () => new Agent({ keepAlive: true, maxSockets: consumers * batchSize });
const sqs = new SQSClient({ endpoint: env.SQS_ENDPOINT, requestHandler: { httpAgent: agent() } });
const ses = new SESv2Client({ endpoint: env.SES_ENDPOINT, requestHandler: { httpAgent: agent() } });
const from = env.FROM ?? 'shop@example.com';

let failed = 0;
const handleMessage = async (message) => {
  const request = JSON.parse(message.Body);
  await ses.send(new SendEmailCommand({
    FromEmailAddress: from,
    Destination: { ToAddresses: [request.to] },
    Content: {
      Simple: {
        Subject: { Data: request.content.subject },
        Body: { Text: { Data: request.content.text } },
      },
    },
    EmailTags: [{ Name: 'messageId', Value: request.messageId }],
  }));
  return message;
};

const running = [];
for (let i = 0; i < consumers; i++) {
  const consumer = Consumer.create({
    queueUrl: env.QUEUE_URL,
    sqs,
    batchSize,
    waitTimeSeconds: Number(env.WAIT_TIME_SECONDS ?? 20),
    handleMessage,
  });
  consumer.on('processing_error', () => { failed++; });
  consumer.on('error', (err) => { console.error(`sqs error: ${err.message}`); });
  consumer.start();
  running.push(consumer);
}

console.log(JSON.stringify({ started: consumers }));
// How many sends failed after the SDK's retries (left to reappear), for the harness's report.
setInterval(() => console.log(JSON.stringify({ failed })), 1000).unref();

const stop = () => { for (const c of running) c.stop(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
