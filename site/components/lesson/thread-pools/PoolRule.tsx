// The sizing rule as a calculator: cores, target utilisation and a task's wait and compute
// times give a number of threads. In MDX: <PoolRule client:visible />.
import { useState } from 'preact/hooks';
import { ruleThreads } from './model.ts';
import './thread-pools.css';

export default function PoolRule() {
  const [cores, setCores] = useState(8);
  const [utilisation, setUtilisation] = useState(1);
  const [wait, setWait] = useState(45);
  const [compute, setCompute] = useState(5);
  const threads = ruleThreads(cores, utilisation, wait, compute);
  const num = (label: string, value: number, set: (v: number) => void, min: number, max: number, step = 1) => (
    <label>
      {label}
      <input type="number" value={value} min={min} max={max} step={step} onInput={(e) => { const v = Number(e.currentTarget.value); if (Number.isFinite(v) && v >= min && v <= max) set(v); }} />
    </label>
  );
  return (
    <div class="hp-pool hp-pool-rule" data-testid="pool-rule">
      <div class="hp-pool-controls">
        {num('Cores', cores, setCores, 1, 256)}
        {num('Target utilisation', utilisation, setUtilisation, 0.1, 1, 0.1)}
        {num('Wait per task (ms)', wait, setWait, 0, 100000)}
        {num('Compute per task (ms)', compute, setCompute, 0.1, 100000, 0.1)}
      </div>
      <p aria-live="polite">
        {cores} × {utilisation} × (1 + {wait} / {compute}) = <strong data-testid="pool-rule-threads">{threads} threads</strong>
        {wait === 0 ? ': CPU-bound work, one thread per core.' : `: while one thread computes, ${Math.round(wait / compute)} others can wait.`}
      </p>
    </div>
  );
}
