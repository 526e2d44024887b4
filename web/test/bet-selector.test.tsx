import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { BetSelector, clampBet } from '../src/features/slots/BetSelector.tsx';

function Harness({ initial }: { initial: number }) {
  const [bet, setBet] = useState(initial);
  return (
    <>
      <BetSelector bet={bet} minBet={1} maxBet={100} onChange={setBet} />
      <output data-testid="bet">{bet}</output>
    </>
  );
}

describe('the bet selector', () => {
  it('clamps numbers to the limits and to whole credits', () => {
    expect(clampBet(500, 1, 100)).toBe(100);
    expect(clampBet(-3, 1, 100)).toBe(1);
    expect(clampBet(7.6, 1, 100)).toBe(8);
    expect(clampBet(Number.NaN, 1, 100)).toBe(1);
  });

  it('turns a typed bet above the maximum into the maximum', async () => {
    render(<Harness initial={10} />);
    const input = screen.getByLabelText(/^Bet/);

    await userEvent.clear(input);
    await userEvent.type(input, '500');
    await userEvent.tab();

    expect(input).toHaveValue(100);
    expect(screen.getByTestId('bet')).toHaveTextContent('100');
  });

  it('turns a typed zero into the minimum and disables lowering further', async () => {
    render(<Harness initial={10} />);
    const input = screen.getByLabelText(/^Bet/);

    await userEvent.clear(input);
    await userEvent.type(input, '0{Enter}');

    expect(screen.getByTestId('bet')).toHaveTextContent('1');
    expect(screen.getByRole('button', { name: 'Lower the bet' })).toBeDisabled();
  });

  it('never raises the bet past the maximum with the + button', async () => {
    render(<Harness initial={95} />);

    await userEvent.click(screen.getByRole('button', { name: 'Raise the bet' }));

    expect(screen.getByTestId('bet')).toHaveTextContent('100');
    expect(screen.getByRole('button', { name: 'Raise the bet' })).toBeDisabled();
  });
});
