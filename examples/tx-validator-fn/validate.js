// Transaction validator as a function-mode handler: loaded once per runtime, called per task.
// payload: {"id","amount","currency","iban"} as bytes; returns a verdict object (JSON in the
// result's returnValue). A malformed payload throws: the task ends FAILED with the message.
const CURRENCIES = new Set(['EUR', 'USD', 'GBP', 'CHF']);

function ibanValid(iban) {
  const s = String(iban).replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(s)) return false;
  const digits = (s.slice(4) + s.slice(0, 4)).replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rest = 0;
  for (const d of digits) rest = (rest * 10 + Number(d)) % 97;
  return rest === 1;
}

exports.handle = (payload, ctx) => {
  let tx;
  try {
    tx = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw new Error(`malformed payload for task ${ctx.taskId}: ${err.message}`);
  }
  const errors = [];
  if (typeof tx.id !== 'string' || tx.id === '') errors.push('id missing');
  if (!Number.isInteger(tx.amount) || tx.amount <= 0) errors.push('amount must be a positive integer (minor units)');
  if (!CURRENCIES.has(tx.currency)) errors.push(`currency ${tx.currency} not accepted`);
  if (!ibanValid(tx.iban ?? '')) errors.push('iban checksum invalid');
  return { id: tx.id ?? null, valid: errors.length === 0, errors };
};
