/** Proves NATS of the test environment is real: core pub/sub and JetStream with acks. */
import test from 'ava';
import { AckPolicy, connect, StringCodec } from 'nats';
import { testEnv } from '../env/info.ts';

const codec = StringCodec();

test('publish/subscribe round trip', async (t) => {
  const nc = await connect({ servers: testEnv().natsUrl });
  t.teardown(() => nc.close());
  const sub = nc.subscribe('smoke.ping', { max: 1 });
  nc.publish('smoke.ping', codec.encode('hello'));
  for await (const message of sub) t.is(codec.decode(message.data), 'hello');
  t.is(sub.getProcessed(), 1);
});

test('a JetStream stream delivers to a consumer that acknowledges', async (t) => {
  const nc = await connect({ servers: testEnv().natsUrl });
  t.teardown(() => nc.close());
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: 'SMOKE', subjects: ['smoke.stream.>'] });
  await jsm.consumers.add('SMOKE', { durable_name: 'reader', ack_policy: AckPolicy.Explicit });
  const js = nc.jetstream();
  const ack = await js.publish('smoke.stream.one', codec.encode('kept'));
  t.is(ack.stream, 'SMOKE');

  const consumer = await js.consumers.get('SMOKE', 'reader');
  const message = await consumer.next({ expires: 5000 });
  t.truthy(message);
  t.is(codec.decode(message!.data), 'kept');
  await message!.ackAck();
  const info = await consumer.info();
  t.is(info.ack_floor.stream_seq, 1);
  t.is(info.num_ack_pending, 0);
});
