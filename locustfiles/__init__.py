"""Locust user classes (session flows) and the open-model replay."""
