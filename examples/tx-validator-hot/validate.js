// Transaction validator: payload {"id","amount","currency","iban"}; prints a JSON verdict.
// Exit 0 with {"valid": false, ...} for a rejected transaction; exit 2 for a malformed payload.
const fs = require('node:fs');

const CURRENCIES = new Set(['EUR', 'USD', 'GBP', 'CHF']);

function ibanValid(iban) {
  const s = String(iban).replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(s)) return false;
  const digits = (s.slice(4) + s.slice(0, 4)).replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rest = 0;
  for (const d of digits) rest = (rest * 10 + Number(d)) % 97;
  return rest === 1;
}

let tx;
try {
  tx = JSON.parse(fs.readFileSync(process.env.PAYLOAD_FILE, 'utf8'));
} catch (err) {
  console.error(`malformed payload: ${err.message}`);
  process.exit(2);
}
const errors = [];
if (typeof tx.id !== 'string' || tx.id === '') errors.push('id missing');
if (!Number.isInteger(tx.amount) || tx.amount <= 0) errors.push('amount must be a positive integer (minor units)');
if (!CURRENCIES.has(tx.currency)) errors.push(`currency ${tx.currency} not accepted`);
if (!ibanValid(tx.iban ?? '')) errors.push('iban checksum invalid');
console.log(JSON.stringify({ id: tx.id ?? null, valid: errors.length === 0, errors }));
