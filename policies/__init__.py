"""The project's CrossGuard policy pack: rules in importable modules, built into a PolicyPack only by __main__."""
